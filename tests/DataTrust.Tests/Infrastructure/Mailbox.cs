using System.Text.RegularExpressions;

namespace DataTrust.Tests.Infrastructure;

/// <summary>Reads the mail the service wrote into its data directory (no SMTP configured).</summary>
public static partial class Mailbox
{
    public static IReadOnlyList<string> MailTo(this DataTrustFactory factory, string address)
    {
        var directory = Path.Combine(factory.Database.DataDirectory, "mail");
        return !Directory.Exists(directory)
            ? []
            : Directory.GetFiles(directory, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText)
                .Where(m => m.Contains($"To: {address}\n", StringComparison.Ordinal) || m.Contains($"To: {address}\r\n", StringComparison.Ordinal))
                .ToList();
    }

    /// <summary>The first link in a mail, as a path and query on the service.</summary>
    public static string LinkPath(string mail)
    {
        var url = new Uri(Link().Match(mail).Value);
        return url.PathAndQuery;
    }

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Link();
}
