"""Admin pages of satisfaction surveys and customer feedback."""
