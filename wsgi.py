from app import create_app
from app.gc_tuning import freeze_startup_objects

app = create_app()
freeze_startup_objects()  # start-up objects out of the garbage collector's way (app/gc_tuning.py)
