"""What the two client scripts share."""

from mlflow.exceptions import MlflowException


def error_of(fn):
    """The MLflow error code and message a call raises, or None when it succeeds."""
    try:
        fn()
    except MlflowException as e:
        return {"code": e.error_code, "message": e.message}
    return None
