/// One metric of the Prometheus text exposition format (version 0.0.4): a
/// name, its help text and type, and one sample per label set.
public struct MetricFamily: Sendable, Equatable {
  public enum Kind: String, Sendable, Equatable {
    /// Only ever goes up (until the process restarts); named `…_total`.
    case counter
    /// A reading that goes up and down.
    case gauge
    /// Observations in cumulative buckets: samples suffixed `_bucket` (with
    /// an `le` label), `_sum` and `_count`.
    case histogram
  }

  /// One value of the family, with its labels in the order written.
  public struct Sample: Sendable, Equatable {
    public var labels: [Label]
    public var value: Int64
    /// Appended to the family's name on this sample's line (a histogram's
    /// `_bucket`, `_sum`, `_count`); empty for counters and gauges.
    public var suffix: String

    public init(labels: [Label] = [], value: Int64, suffix: String = "") {
      self.labels = labels
      self.value = value
      self.suffix = suffix
    }
  }

  /// `name="value"` on a sample.
  public struct Label: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  public var name: String
  public var help: String
  public var kind: Kind
  public var samples: [Sample]

  public init(name: String, help: String, kind: Kind, samples: [Sample]) {
    self.name = name
    self.help = help
    self.kind = kind
    self.samples = samples
  }

  /// A family of one unlabelled sample.
  public static func counter(_ name: String, _ help: String, _ value: Int) -> MetricFamily {
    MetricFamily(name: name, help: help, kind: .counter, samples: [Sample(value: Int64(value))])
  }

  public static func gauge(_ name: String, _ help: String, _ value: Int) -> MetricFamily {
    MetricFamily(name: name, help: help, kind: .gauge, samples: [Sample(value: Int64(value))])
  }

  /// A family whose samples differ by one label.
  public static func counter(
    _ name: String, _ help: String, by label: String, _ values: KeyValuePairs<String, Int>
  ) -> MetricFamily {
    MetricFamily(
      name: name, help: help, kind: .counter,
      samples: values.map { Sample(labels: [Label(label, $0.key)], value: Int64($0.value)) })
  }
}
