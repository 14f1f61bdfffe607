"""The applicant's pages: the landing page and questionnaire, the results (print, PDF, referral)."""
