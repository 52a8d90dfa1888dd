"""Speed and memory benchmark of stance against transformers.pipeline (`make bench`)."""
