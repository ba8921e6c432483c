"""Admin actions that push changes to the vendors, one module per model they act on."""
