"""What the dossiers app does when other apps announce something (connected in `apps.ready`)."""
