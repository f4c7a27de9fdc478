using System.Text;
using System.Text.Json;
using DataTrust.Common.Demo;
using Microsoft.Playwright;

namespace DataTrust.Tests.Infrastructure;

/// <summary>What browser tests do on a page: sign in, switch language, check accessibility, keep a screenshot.</summary>
public static class PageChecks
{
    /// <summary>The axe-core rule tags of WCAG 2.0, 2.1 and 2.2, levels A and AA.</summary>
    public static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

    private static readonly Lazy<string> AxeSource = new(() =>
    {
        var path = Path.Combine(RepositoryPaths.Root, "tests", "browser", "node_modules", "axe-core", "axe.min.js");
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new FileNotFoundException($"axe-core is not installed: run scripts/test-deps.sh (npm ci --prefix tests/browser). Looked for {path}");
    });

    /// <summary>Signs in through the login form with the demo account of this role and waits for the page after it.</summary>
    public static async Task SignInAsync(this IPage page, string role, string? returnUrl = null)
    {
        await page.GotoAsync(returnUrl is null ? "/account/login" : "/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("メールアドレス|E-mail address")).FillAsync(SignIn.DemoEmail(role));
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("^(パスワード|Password)$")).FillAsync(DemoData.Password);
        await page.Locator("main form button[type=submit].primary").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
    }

    /// <summary>Follows the header's language switch ("日本語" or "English") and waits for the page in that language.</summary>
    public static async Task SwitchLanguageAsync(this IPage page, string language)
    {
        var lang = language == "English" ? "en" : "ja";
        if (await page.GetAttributeAsync("html", "lang") == lang)
        {
            return;
        }

        await page.Locator("header nav.language").GetByText(language, new() { Exact = true }).ClickAsync();
        await page.WaitForFunctionAsync($"document.documentElement.lang === '{lang}'");
    }

    /// <summary>
    /// Runs axe-core on the page and fails, listing each rule and element, if anything breaks a WCAG 2.2
    /// A or AA rule. axe is evaluated through the DevTools protocol rather than added as a script tag:
    /// the service's Content-Security-Policy rightly refuses inline scripts.
    /// </summary>
    public static async Task CheckAccessibilityAsync(this IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            await page.EvaluateAsync("() => { " + AxeSource.Value + "\nwindow.axe = window.axe || axe; }");
        }

        var json = await page.EvaluateAsync<string>(
            """
            async tags => {
              const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
              return JSON.stringify(result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))
              })));
            }
            """, WcagTags);
        var violations = JsonSerializer.Deserialize<List<AxeViolation>>(json, JsonSerializerOptions.Web)!;
        if (violations.Count == 0)
        {
            return;
        }

        var report = new StringBuilder($"{page.Url} ({await page.GetAttributeAsync("html", "lang")}) has {violations.Count} accessibility violation(s):\n");
        foreach (var violation in violations)
        {
            report.Append("- ").Append(violation.Id).Append(" (").Append(violation.Impact).Append("): ").AppendLine(violation.Help);
            foreach (var node in violation.Nodes)
            {
                report.Append("    ").AppendLine(node);
            }
        }

        Assert.Fail(report.ToString());
    }

    /// <summary>
    /// Saves a full-page PNG as docs/screenshots/NAME.png when DATATRUST_SCREENSHOTS=1 (the README shows
    /// them); otherwise does nothing, so that test runs leave the working tree clean.
    /// </summary>
    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DATATRUST_SCREENSHOTS") != "1")
        {
            return;
        }

        var directory = Path.Combine(RepositoryPaths.Root, "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    private sealed record AxeViolation(string Id, string? Impact, string Help, List<string> Nodes);
}
