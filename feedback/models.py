"""Models of satisfaction surveys and customer feedback."""
