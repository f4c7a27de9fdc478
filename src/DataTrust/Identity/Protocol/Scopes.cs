namespace DataTrust.Identity.Protocol;

/// <summary>The OpenID Connect scopes this provider knows (OIDC Core §5.4, §11).</summary>
internal static class Scopes
{
    public const string OpenId = "openid";
    public const string Profile = "profile";
    public const string Email = "email";
    public const string OfflineAccess = "offline_access";

    public static readonly string[] OpenIdConnect = [OpenId, Profile, Email, OfflineAccess];

    /// <summary>Recipients' API: draft, submit and read their data requests.</summary>
    public const string DataRequests = "datatrust.requests";

    /// <summary>Recipients' API: send consent requests, read consents and receipts, confirm deletion, set the webhook.</summary>
    public const string Consents = "datatrust.consents";

    /// <summary>FAPI Grant Management: query, and revoke, the client's own grants.</summary>
    public const string GrantManagementQuery = "grant_management_query";

    public const string GrantManagementRevoke = "grant_management_revoke";

    /// <summary>Recipients' API: receive consented data (Brokering/).</summary>
    public const string Broker = "datatrust.broker";

    /// <summary>City OS services: consent-filtered aggregate statistics (Brokering/).</summary>
    public const string Statistics = "datatrust.statistics";

    /// <summary>DataTrust's own API scopes, published in discovery beside the OpenID Connect ones.</summary>
    public static readonly string[] Api = [DataRequests, Consents, Broker, Statistics, GrantManagementQuery, GrantManagementRevoke];

    public static List<string> Parse(string? scope) =>
        [.. (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>RFC 6749 §3.3 scope-token: printable ASCII except space, double quote and backslash.</summary>
    public static bool IsWellFormed(string scope) =>
        scope.All(c => c == ' ' || (c >= 0x21 && c <= 0x7E && c != '"' && c != '\\'));
}
