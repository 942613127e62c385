"""Models of knowledge-base articles and FAQs."""
