"""The suite's own error types: the CLI prints these as one message, without a traceback."""


class EmpathySuiteError(Exception):
    """Base class for errors caused by the user's data or configuration."""


class DataFormatError(EmpathySuiteError):
    """A data file is missing, empty or not in its official format."""


class ConfigError(EmpathySuiteError):
    """A configuration value is invalid or inconsistent."""
