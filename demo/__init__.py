"""The offline demo: a warehouse mirror of the sandbox's CRM and the driver behind ``make demo``."""
