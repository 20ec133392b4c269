"""Everything HTTP the three services share: the app factory, problems, tokens, ETags, limits, paging."""
