"""Sales at the till: purchases, refunds, exchanges, the cards that paid them, and the insights they keep."""
