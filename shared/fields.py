"""Marshmallow fields that take JSON's own types only: clients get a 422 for "1" or 0 where a number
or a boolean belongs, as the OpenAPI document promises, instead of a silent conversion."""

from __future__ import annotations

import marshmallow as ma


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
