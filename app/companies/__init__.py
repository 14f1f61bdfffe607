"""Companies by 法人番号: gBizINFO prefill (client, cache, mapping to profile facts, API route, batch fill)."""
