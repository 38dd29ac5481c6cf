"""Tk windows and dialogs (the only place tkinter is imported)."""
