extension SwitchReading {
  /// The registrar's bindings kept in PostgreSQL (`BindingSync`; softswitch
  /// mode with a registrar only, none otherwise).
  var registrarStore: [MetricFamily] {
    guard let store = core.bindingStore else { return [] }
    return [
      .counter(
        "didtron_registrar_store_writes_total",
        "Binding changes written to PostgreSQL, or dropped (queue full or refused by the table).",
        by: "result", ["written": store.written, "dropped": store.dropped]),
      .gauge(
        "didtron_registrar_store_queued", "Binding changes waiting to be written to PostgreSQL.", store.queued
      ),
      .counter(
        "didtron_registrar_store_failures_total", "Rounds of binding writes or reads that PostgreSQL failed.",
        store.failures),
    ]
  }
}
