"""One APIRouter per resource; `hashira_api.main` mounts them all."""
