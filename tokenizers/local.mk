# The tokenizer (tokenizer.json), see tokenizers/.
