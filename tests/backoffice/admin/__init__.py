"""The vendor actions, end to end through the admin: changelist, intermediate form, apply, then
what the operations, the audit rows, the vendor and the mirror show afterwards."""
