"""The JSON API (/api/v1): screening, programs, stored screenings."""
