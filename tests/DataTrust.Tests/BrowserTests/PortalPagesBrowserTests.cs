using System.Security.Cryptography;
using System.Text;
using DataTrust.Accounts;
using DataTrust.Common.Demo;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.BrowserTests;

/// <summary>The shared pages in a real browser: every one passes axe-core's WCAG 2.2 A/AA rules in Japanese and in English.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PortalPagesBrowserTests(PortalFixture portal)
{
    public static TheoryData<string> Languages => new() { "日本語", "English" };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Signed_out_pages_are_accessible(string language)
    {
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        var suffix = language == "English" ? "en" : "ja";
        foreach (var (path, name) in new[] { ("/", "home"), ("/account/login", "login"), ("/account/register", "register"), ("/no-such-page", "not-found"), ("/transparency", "transparency"),
            ("/account/forgot-password", "forgot-password"), ("/account/reset-password", "reset-password"), ("/account/confirm", "confirm"),
            ("/account/check-mail", "check-mail"), ("/account/denied", "denied"), ("/receipts/verify", "receipt-verify"), ("/resident/erased", "erased") })
        {
            await page.GotoAsync(path);
            await page.SwitchLanguageAsync(language);
            await page.CheckAccessibilityAsync();
            await page.ScreenshotAsync($"{name}-{suffix}");
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Signed_in_resident_pages_and_the_consent_page_are_accessible(string language)
    {
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        var suffix = language == "English" ? "en" : "ja";
        await page.SignInAsync(Roles.Resident);
        foreach (var (path, name) in new[] { ("/", "home-signed-in"), ("/account/security", "security"), ("/resident/history", "history"),
            ("/account/two-factor", "two-factor"), ("/account/logout", "logout"), ("/connect/endsession", "end-session"),
            ("/resident/providers", "providers"), ("/resident/records", "records"), ("/resident/erase", "erase") })
        {
            await page.GotoAsync(path);
            await page.SwitchLanguageAsync(language);
            await page.CheckAccessibilityAsync();
            await page.ScreenshotAsync($"{name}-{suffix}");
        }

        var verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await page.GotoAsync("/connect/authorize?response_type=code&client_id=demo-city-app&scope=openid%20profile"
            + "&redirect_uri=" + Uri.EscapeDataString(DemoData.RedirectUri) + "&code_challenge=" + challenge + "&code_challenge_method=S256&state=s1");
        await page.WaitForURLAsync(url => url.Contains("/connect/consent", StringComparison.Ordinal));
        await page.SwitchLanguageAsync(language);
        await page.CheckAccessibilityAsync();
        await page.ScreenshotAsync($"consent-{suffix}");
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_second_step_of_a_two_factor_sign_in_is_accessible(string language)
    {
        var email = $"two-factor-{(language == "English" ? "en" : "ja")}@example.jp";
        await using (var scope = portal.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            var user = new UserAccount { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Two factor", CreatedAt = DateTimeOffset.UtcNow };
            (await users.CreateAsync(user, DemoData.Password)).Succeeded.ShouldBeTrue();
            (await users.AddToRoleAsync(user, Roles.Resident)).Succeeded.ShouldBeTrue();
            (await users.ResetAuthenticatorKeyAsync(user)).Succeeded.ShouldBeTrue();
            (await users.SetTwoFactorEnabledAsync(user, true)).Succeeded.ShouldBeTrue();
        }

        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        await page.GotoAsync("/account/login");
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("メールアドレス|E-mail address")).FillAsync(email);
        await page.GetByLabel(new System.Text.RegularExpressions.Regex("^(パスワード|Password)$")).FillAsync(DemoData.Password);
        await page.Locator("main form:not([data-passkey]) button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/account/login-2fa", StringComparison.Ordinal));
        await page.SwitchLanguageAsync(language);
        await page.CheckAccessibilityAsync();
    }
}

/// <summary>The accessibility check itself: it must fail on a page that breaks a rule, and say which.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityCheckTests(PortalFixture portal)
{
    [Fact]
    public async Task A_page_with_an_unlabelled_field_and_low_contrast_fails_with_the_rules_named()
    {
        await using var session = await portal.NewSessionAsync();
        await session.Page.SetContentAsync("""
            <!DOCTYPE html><html lang="en"><head><title>t</title></head>
            <body><main><h1>Form</h1><p style="color:#bbb;background:#fff">faint</p><input type="text"></main></body></html>
            """);

        var failure = await Should.ThrowAsync<Xunit.Sdk.FailException>(() => session.Page.CheckAccessibilityAsync());

        failure.Message.ShouldContain("- label ");
        failure.Message.ShouldContain("- color-contrast ");
    }
}
