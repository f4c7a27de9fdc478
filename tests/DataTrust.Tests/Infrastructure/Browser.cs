namespace DataTrust.Tests.Infrastructure;

/// <summary>What a browser does that HttpClient does not by default: keep cookies, show redirects, post forms.</summary>
public static class Browser
{
    /// <summary>A client that keeps cookies and returns redirects instead of following them.</summary>
    public static HttpClient CreateBrowser(this DataTrustFactory factory) =>
        factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

    public static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
}
