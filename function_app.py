"""Azure Functions entry points (Python v2 model): bindings only; the work is in ``shared/``.

Settings are read and validated here, at start: a bad one stops the app with its name.
"""

import azure.functions as func

from shared.shell.bootstrap import load_runtime

runtime = load_runtime()
settings = runtime.settings
app = func.FunctionApp()


@app.timer_trigger(
    arg_name="timer",
    schedule=settings.reconcile_schedule,
    run_on_startup=False,
    use_monitor=True,
)
async def reconcile_groups(timer: func.TimerRequest) -> None:
    """Every Autopilot group tag gets its dynamic device group (RECONCILE_SCHEDULE)."""
    await runtime.reconcile(past_due=timer.past_due)


@app.queue_trigger(
    arg_name="message", queue_name=settings.request_queue, connection="AzureWebJobsStorage"
)
@app.queue_output(
    arg_name="result", queue_name=settings.result_queue, connection="AzureWebJobsStorage"
)
async def scenario_request(message: func.QueueMessage, result: func.Out[str]) -> None:
    """A ticketing system's request: make sure the scenario's group exists, and answer."""
    result.set(await runtime.handle_request(message.get_body(), message.id, message.dequeue_count))
