using DataTrust.Accounts;
using DataTrust.Jobs;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace DataTrust.Tests.BrowserTests;

/// <summary>The business console and the operator console in a real browser, and axe-core on every one of their pages.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsolesBrowserTests(PortalFixture portal)
{
    [Fact]
    public async Task A_business_submits_a_request_and_sees_it_approved_after_an_operator_approves_it()
    {
        await using var business = await portal.NewSessionAsync();
        var page = business.Page;
        await page.SignInAsync(Roles.Business, "/business/requests/edit");
        await page.GetByLabel("目的").SelectOptionAsync("mobility-improvement");
        await page.Locator("#f-mobility-trip_date").CheckAsync();
        await page.Locator("#mode-periodic").CheckAsync();
        await page.GetByLabel("期間あたりの最大回数（定期的な場合）").FillAsync("2");
        await page.GetByLabel("期間（ISO 8601、例: P1M）").FillAsync("P1M");
        await page.GetByLabel("住民が受ける便益（日本語）").FillAsync("運賃割引");
        await page.GetByLabel("住民が受ける便益（英語）").FillAsync("Fare discount");
        await page.GetByLabel("利用の説明（日本語）").FillAsync("ダイヤ改善のため");
        await page.GetByLabel("利用の説明（英語）").FillAsync("To improve timetables");
        await page.GetByRole(AriaRole.Button, new() { Name = "下書きを保存する" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "審査に出す" }).ClickAsync();
        (await page.Locator("#state").InnerTextAsync()).ShouldBe("審査中");
        var requestPath = new Uri(page.Url).AbsolutePath;
        var id = requestPath.Split('/')[^1];

        await using var board = await portal.NewSessionAsync();
        var admin = board.Page;
        await admin.SignInAsync(Roles.Operator, "/admin/requests");
        await admin.CheckAccessibilityAsync();
        await admin.ScreenshotAsync("admin-review-queue-ja");
        await admin.Locator($"#requests a[href='/admin/requests/{id}']").ClickAsync();
        await admin.GetByLabel("承認して公開する").CheckAsync();
        await admin.GetByLabel("理由（1行に1つ。却下には必須）").FillAsync("便益が明確");
        await admin.GetByRole(AriaRole.Button, new() { Name = "決定を記録する" }).ClickAsync();
        (await admin.Locator("#state").InnerTextAsync()).ShouldBe("承認済み");

        await page.ReloadAsync();
        (await page.Locator("#state").InnerTextAsync()).ShouldBe("承認済み");
        (await page.Locator("#reviews").InnerTextAsync()).ShouldContain("便益が明確");
    }

    [Fact]
    public async Task An_operator_retries_a_dead_lettered_job()
    {
        var id = Guid.CreateVersion7();
        await using (var db = portal.Factory.NewDbContext())
        {
            var now = DateTimeOffset.UtcNow;
            db.Add(new Job { Id = id, Kind = "test.browser-dead", Payload = "{}", State = JobState.DeadLettered, Attempts = 3, MaxAttempts = 3, CreatedAt = now, RunAt = now, FinishedAt = now, LastError = "boom" });
            await db.SaveChangesAsync();
        }

        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        await page.SignInAsync(Roles.Operator, "/admin/jobs?state=dead_lettered");
        await page.Locator($"tr[data-job='{id}'] button").ClickAsync();
        (await page.Locator("main .notice").InnerTextAsync()).ShouldContain("待機列に戻しました");

        await using var check = portal.Factory.NewDbContext();
        (await check.Set<Job>().Where(j => j.Id == id).Select(j => j.State).SingleAsync()).ShouldNotBe(JobState.DeadLettered);
    }

    [Theory]
    [InlineData("日本語")]
    [InlineData("English")]
    public async Task Every_business_and_operator_page_passes_axe(string language)
    {
        var suffix = language == "English" ? "en" : "ja";
        await using var business = await portal.NewSessionAsync();
        var page = business.Page;
        await page.SignInAsync(Roles.Business, "/business/requests");
        await page.SwitchLanguageAsync(language);
        var request = await page.Locator("tbody a").First.GetAttributeAsync("href");
        foreach (var path in new[] { "/business", "/business/requests", "/business/requests/edit", request!, "/business/consents", "/business/webhook", "/business/credentials" })
        {
            await page.GotoAsync(path);
            await page.CheckAccessibilityAsync();
        }

        await page.GotoAsync("/business/requests/edit");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.Locator(".error-summary").WaitForAsync();
        await page.CheckAccessibilityAsync();

        await using var board = await portal.NewSessionAsync();
        var admin = board.Page;
        await admin.SignInAsync(Roles.Operator, "/admin");
        await admin.SwitchLanguageAsync(language);
        foreach (var path in new[] { "/admin", "/admin/recipients", "/admin/recipients/demo-business", "/admin/requests", "/admin/requests?state=approved", "/admin/jobs", "/admin/clients", "/admin/keys", "/admin/health", "/admin/requests/" + request!.Split('/')[^1] })
        {
            await admin.GotoAsync(path);
            await admin.CheckAccessibilityAsync();
        }

        await admin.GotoAsync("/admin/requests");
        await admin.ScreenshotAsync($"admin-review-queue-{suffix}");
    }
}
