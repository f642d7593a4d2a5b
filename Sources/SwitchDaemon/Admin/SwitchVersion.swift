/// The switch's version, as `didtron-switch --version` and `GET /v1/version` say it.
public enum SwitchVersion {
  public static let text = "0.1.0-dev"
}
