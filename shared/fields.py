"""Marshmallow fields the services share: JSON's own types only (a 422 for "1" or 0 where a number or a
boolean belongs, as the OpenAPI document promises, instead of a silent conversion), text people read,
and instants that fit a database."""

from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from shared.text import CONTROL, CONTROL_BUT_LAYOUT, ONE_LINE_PATTERN, PARAGRAPHS_PATTERN, is_blank


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false; not 0, 1, "yes" or "true"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictFloat(ma.fields.Float):
    """A JSON number; not a string of digits, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Line(ma.fields.String):
    """One line people read (a title, a place, a topic): no control characters, and something visible.

    A line break in a title could forge lines in an email's plain-text part; a title of spaces or
    zero-width characters shows as nothing in a list of courses.
    """

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=max_length),
                         metadata={"pattern": ONE_LINE_PATTERN, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL.search(text):
            raise ma.ValidationError("Must be one line, without control characters.")
        if is_blank(text):
            raise ma.ValidationError("Must show something: not only spaces or invisible characters.")
        return text


class Paragraphs(ma.fields.String):
    """Text of several lines (a description, a reason): line breaks and tabs, no other control characters."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs):
        super().__init__(validate=validate.Length(min=min_length, max=max_length),
                         metadata={"pattern": PARAGRAPHS_PATTERN, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if CONTROL_BUT_LAYOUT.search(text):
            raise ma.ValidationError("Must not hold control characters other than line breaks and tabs.")
        return text


class Instant(ma.fields.AwareDateTime):
    """An instant with its offset, kept in UTC; one whose UTC falls outside years 1 to 9999 is refused
    (0001-01-01T00:00:00+01:00 is in the year 0 in UTC, which no date type holds)."""

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            return instant.astimezone(timezone.utc)
        except OverflowError:
            raise ma.ValidationError("Lies outside the years 1 to 9999 in UTC.") from None
