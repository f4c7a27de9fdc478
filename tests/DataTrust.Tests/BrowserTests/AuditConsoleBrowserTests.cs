using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.BrowserTests;

/// <summary>An auditor at work in a real browser: verifies the chain, exports a bundle; every auditor page passes axe in both languages.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AuditConsoleBrowserTests(PortalFixture portal)
{
    [Fact]
    public async Task An_auditor_verifies_the_chain_and_downloads_a_bundle()
    {
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        await page.SignInAsync(Roles.Auditor);

        await page.GotoAsync("/audit/verify");
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "今すぐ検証する" }).ClickAsync();
        (await page.Locator("#result .result-ok h2").InnerTextAsync()).ShouldContain("改ざんは見つかりませんでした");

        await page.GotoAsync("/audit/export");
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "バンドルをダウンロードする" }).ClickAsync());
        download.SuggestedFilename.ShouldStartWith("datatrust-audit-");
        var path = Path.Combine(Path.GetTempPath(), $"datatrust-browser-{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(path);
        try
        {
            new FileInfo(path).Length.ShouldBeGreaterThan(0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("日本語")]
    [InlineData("English")]
    public async Task Every_auditor_page_and_the_history_page_pass_axe(string language)
    {
        await SeedReleaseAsync();
        var suffix = language == "English" ? "en" : "ja";
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        await page.SignInAsync(Roles.Auditor);

        await page.GotoAsync("/audit?search=1&action=data.released");
        await page.SwitchLanguageAsync(language);
        var entry = await page.Locator("tbody tr td:first-child a").First.GetAttributeAsync("href");
        var pages = new[]
        {
            ("/audit", "audit-search"), ("/audit?search=1&action=data.released", "audit-results"),
            ("/audit?search=1&consent=bad", "audit-search-error"), (entry!, "audit-entry"),
            ("/audit/verify", "audit-verify"), ("/audit/checkpoints", "audit-checkpoints"), ("/audit/statistics", "audit-statistics"),
            ("/audit/recipients/demo-business", "audit-recipient"), ("/audit/export", "audit-export"),
        };
        foreach (var (path, name) in pages)
        {
            await page.GotoAsync(path);
            await page.CheckAccessibilityAsync();
            await page.ScreenshotAsync($"{name}-{suffix}");
        }

        await page.GotoAsync("/audit/verify");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.Locator("#result").WaitForAsync();
        await page.CheckAccessibilityAsync();
        await page.ScreenshotAsync($"audit-verified-{suffix}");

        await using var resident = await portal.NewSessionAsync();
        await resident.Page.SignInAsync(Roles.Resident);
        await resident.Page.GotoAsync("/resident/history");
        await resident.Page.SwitchLanguageAsync(language);
        (await resident.Page.Locator("tbody tr").CountAsync()).ShouldBeGreaterThan(0);
        await resident.Page.CheckAccessibilityAsync();
        await resident.Page.ScreenshotAsync($"history-{suffix}");

        await resident.Page.GotoAsync("/transparency");
        await resident.Page.CheckAccessibilityAsync();
        await resident.Page.ScreenshotAsync($"transparency-{suffix}");
    }

    /// <summary>A release of hanako's data and a checkpoint over it, so that tables, charts and proofs have something to show.</summary>
    private async Task SeedReleaseAsync()
    {
        var services = portal.Factory.Services;
        Guid hanako;
        using (var scope = services.CreateScope())
        {
            hanako = (await scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>().FindByEmailAsync(SignIn.DemoEmail(Roles.Resident)))!.Id;
        }

        await using var db = portal.Factory.NewDbContext();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await services.GetRequiredService<IAuditLog>().AppendAsync(db, new DataReleased(
                AuditActor.Client("demo-business"), hanako, Guid.NewGuid(), "demo-business", "mobility-improvement", Guid.NewGuid(), ["mobility"], ["trip_date"]));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        await services.GetRequiredService<CheckpointSealer>().SealForScheduleAsync(CancellationToken.None);
    }
}
