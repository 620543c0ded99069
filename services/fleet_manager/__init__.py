"""The fleet-manager: attached clusters become a live inventory of Karmada Cluster objects."""
