"""Helpers that test modules import: servers, payloads, problems, message publishing."""
