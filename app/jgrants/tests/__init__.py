"""Tests of the jGrants sync, against a local fake jGrants server (no test reaches the internet)."""
