"""Dynamic forms engine: definitions, validation, JSON Schema and page helpers.

Pure: imports only the standard library, pydantic, json_logic and vietnam_provinces.
"""

from .addresses import AdminUnit, communes, format_address, provinces
from .definition import FormDefinition, Rule, Section
from .engine import validate, visible_fields
from .fields import (
    FIELD_TYPES,
    AddressField,
    AnyField,
    CheckboxField,
    ChoiceField,
    CitizenIdField,
    DateField,
    DecimalField,
    EmailField,
    FieldBase,
    FileField,
    GroupField,
    IntegerField,
    MoneyField,
    Option,
    PhoneField,
    RadioField,
    SelectField,
    TaxCodeField,
    TextareaField,
    TextField,
)
from .lint import lint
from .options import ETHNIC_GROUPS, builtin_options, resolve_options
from .parse import parse_definition
from .problems import DefinitionError, DefinitionProblem, FieldError, ValidationResult
from .schema import to_json_schema
from .text import LocalizedText
from .unflatten import unflatten_form

__all__ = [
    "ETHNIC_GROUPS",
    "FIELD_TYPES",
    "AddressField",
    "AdminUnit",
    "AnyField",
    "CheckboxField",
    "ChoiceField",
    "CitizenIdField",
    "DateField",
    "DecimalField",
    "DefinitionError",
    "DefinitionProblem",
    "EmailField",
    "FieldBase",
    "FieldError",
    "FileField",
    "FormDefinition",
    "GroupField",
    "IntegerField",
    "LocalizedText",
    "MoneyField",
    "Option",
    "PhoneField",
    "RadioField",
    "Rule",
    "Section",
    "SelectField",
    "TaxCodeField",
    "TextField",
    "TextareaField",
    "ValidationResult",
    "builtin_options",
    "communes",
    "format_address",
    "lint",
    "parse_definition",
    "provinces",
    "resolve_options",
    "to_json_schema",
    "unflatten_form",
    "validate",
    "visible_fields",
]
