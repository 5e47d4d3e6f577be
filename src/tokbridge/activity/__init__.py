"""What the merchant sees under Recent Activity: ongoing work, completed work, failures."""
