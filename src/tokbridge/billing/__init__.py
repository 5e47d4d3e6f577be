"""Plans and subscriptions: what a merchant pays and how much it may list and sell."""
