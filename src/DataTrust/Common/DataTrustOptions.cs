namespace DataTrust.Common;

/// <summary>Settings under the <c>DataTrust</c> configuration section.</summary>
public sealed class DataTrustOptions
{
    public const string Section = "DataTrust";

    /// <summary>Where the SQLite file, development keys and development mail live.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The public issuer URL; in Development the request's own base URL is used when empty.</summary>
    public string? Issuer { get; set; }

    /// <summary>What this instance does: <c>web</c>, <c>worker</c>, or both (the default).</summary>
    public string Roles { get; set; } = "web,worker";

    /// <summary>Directory holding the data-use policy YAML files.</summary>
    public string PoliciesDirectory { get; set; } = "policies";

    /// <summary>Seed demo accounts and clients on first start; Development only, on unless set to false.</summary>
    public bool? SeedDemoData { get; set; }

    internal bool RunsWeb => HasRole("web");

    internal bool RunsWorker => HasRole("worker");

    private bool HasRole(string role) =>
        Roles.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains(role, StringComparer.OrdinalIgnoreCase);
}
