"""Passwords, tokens, personal-data encryption and second factors."""
