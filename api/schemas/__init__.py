"""Request and response bodies, one module per resource.

Requests refuse unknown fields and use the input grammar of api/fields.py. Responses are
validated from the procedures' rows (`Model.of(row, currencies)`): a row's columns are the
fields, and money fields are quantised to their currency (api/money.py) and written as
decimal strings, never floats.
"""
