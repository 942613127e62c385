"""Admin pages of knowledge-base articles and FAQs."""
