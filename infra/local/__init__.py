"""The local stack: ``template.yaml`` running on one machine, on moto.

``python -m infra.local`` (``make run``) starts it; tests use its parts in-process. Modules:

* ``template`` reads the SAM template (and its CloudFormation transform) into functions, routes,
  queue event sources and schedules;
* ``stack`` deploys the template's data resources into moto and resolves each function's environment;
* ``runtime`` invokes handlers in worker processes of their own, a small pool per function, each with its
  function's environment (``worker`` is the process's side), or in this process for tests' fake handlers;
* ``load`` is ``make load``: mixed traffic against a fresh stack, then a check of the books;
* ``gateway`` stands in for the HTTP API (routes, Lambda authorizer and its cache, payload 2.0 events);
* ``pollers`` delivers SQS messages to functions in batches, as Lambda's event-source mapping does;
* ``scheduler`` runs ``Schedule``/``ScheduleV2`` events on time or on demand;
* ``outbox`` lists the emails and SMS that moto's SES and SNS recorded;
* ``merchants`` is the one seam to the domain's onboarding (the demo merchant, ``/_local/merchants``);
* ``local_routes`` serves the ``/_local`` routes (health, merchants, outbox, schedules, Swagger UI);
* ``server`` puts it all together as :class:`~infra.local.server.LocalStack`, behind an HTTP server.
"""
