using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Common.Demo;
using DataTrust.Consent;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace DataTrust.Tests.BrowserTests;

/// <summary>
/// A resident grants demo-business's published request in a real browser — through the OAuth consent
/// page with authorization_details, narrowing it — sees the receipt, revokes, and the recipient's token
/// introspects inactive; every page passes axe-core in both languages. And the same by keyboard alone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ResidentConsentBrowserTests(PortalFixture portal)
{
    public static TheoryData<string> Languages => new() { "日本語", "English" };

    private async Task<Guid> DemoRequestAsync()
    {
        await using var db = portal.Factory.NewDbContext();
        return await db.Set<DataRequest>().Where(r => r.ClientId == "demo-business").Select(r => r.Id).SingleAsync();
    }

    private HttpClient Recipient()
    {
        var http = new HttpClient { BaseAddress = portal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("demo-business:demo-business-secret")));
        return http;
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync(path, new FormUrlEncodedContent(form));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task CheckAsync(IPage page, string language, string? screenshot = null)
    {
        await page.SwitchLanguageAsync(language);
        await page.CheckAccessibilityAsync();
        if (screenshot is not null)
        {
            await page.ScreenshotAsync(screenshot + (language == "English" ? "-en" : "-ja"));
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_resident_grants_through_the_consent_page_sees_the_receipt_revokes_and_the_token_goes_inactive(string language)
    {
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        await page.SignInAsync(Roles.Resident);
        await page.GotoAsync("/resident");
        await CheckAsync(page, language, "resident-dashboard");
        await page.GotoAsync("/resident/inbox");
        await CheckAsync(page, language);
        await page.GotoAsync("/resident/instructions");
        await CheckAsync(page, language);
        await page.GotoAsync("/receipts/verify");
        await CheckAsync(page, language);

        var requestId = await DemoRequestAsync();
        await page.GotoAsync($"/resident/requests/{requestId}");
        await CheckAsync(page, language);

        // The recipient's callback does not exist here: answer it in the browser and keep the URL.
        string? callback = null;
        await page.RouteAsync(DemoData.RedirectUri + "**", async route =>
        {
            callback = route.Request.Url;
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/plain", Body = "ok" });
        });
        var verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var details = $$"""[{"type":"datatrust_consent","data_request":"{{requestId}}"}]""";
        await page.GotoAsync("/connect/authorize?response_type=code&client_id=demo-business&scope=openid&state=b1"
            + "&redirect_uri=" + Uri.EscapeDataString(DemoData.RedirectUri) + "&code_challenge=" + challenge + "&code_challenge_method=S256"
            + "&authorization_details=" + Uri.EscapeDataString(details));
        await page.WaitForURLAsync(url => url.Contains("/connect/consent", StringComparison.Ordinal));
        await CheckAsync(page, language, "consent-purpose");
        await page.Locator("#duration").SelectOptionAsync("P3M");
        await page.Locator("button[value=allow]").ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(DemoData.RedirectUri, StringComparison.Ordinal));
        var code = System.Web.HttpUtility.ParseQueryString(new Uri(callback!).Query)["code"]!;

        using var recipient = Recipient();
        var tokens = await PostAsync(recipient, "/connect/token", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = DemoData.RedirectUri, ["code_verifier"] = verifier,
        });
        tokens.GetProperty("authorization_details")[0].GetProperty("duration").GetString().ShouldBe("P3M");
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        (await PostAsync(recipient, "/connect/introspect", new() { ["token"] = accessToken })).GetProperty("active").GetBoolean().ShouldBeTrue();

        await page.GotoAsync("/resident/consents");
        await CheckAsync(page, language);
        await page.Locator("[data-table=current] a").First.ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/resident/consents/", StringComparison.Ordinal));
        await CheckAsync(page, language);
        await page.Locator("[data-list=receipts] a").First.ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/receipts/", StringComparison.Ordinal));
        (await page.Locator("pre.jws").TextContentAsync())!.Split('.').Length.ShouldBe(3);
        await CheckAsync(page, language);
        await page.GoBackAsync();

        await page.Locator("a[href$='/revoke']").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/revoke", StringComparison.Ordinal));
        await CheckAsync(page, language);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForSelectorAsync("[data-state=withdrawn]");

        (await PostAsync(recipient, "/connect/introspect", new() { ["token"] = accessToken })).GetProperty("active").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task A_resident_grants_and_revokes_with_the_keyboard_alone()
    {
        await using var session = await portal.NewSessionAsync();
        var page = session.Page;
        var taro = "taro@example.jp";
        await page.GotoAsync("/account/login?returnUrl=%2Fresident%2Finbox");
        await TabToAsync(page, "input[name=Email]");
        await page.Keyboard.TypeAsync(taro);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(DemoData.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.Contains("/resident/inbox", StringComparison.Ordinal));

        var requestId = await DemoRequestAsync();
        await TabToAsync(page, $"a[href='/resident/requests/{requestId}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.Contains("/resident/requests/", StringComparison.Ordinal));
        await TabToAsync(page, "#duration");
        await page.Keyboard.PressAsync("ArrowDown");
        var chosen = await page.EvalOnSelectorAsync<string>("#duration", "e => e.value");
        chosen.ShouldNotBe("P6M");
        await TabToAsync(page, "button[formaction*=Grant], button.primary");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("[data-state=given]");

        await TabToAsync(page, "a[href$='/revoke']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.EndsWith("/revoke", StringComparison.Ordinal));
        await TabToAsync(page, "main form button[type=submit]");
        await page.Keyboard.PressAsync("Space");
        await page.WaitForSelectorAsync("[data-state=withdrawn]");

        await using var db = portal.Factory.NewDbContext();
        var taroId = await db.Users.Where(u => u.Email == taro).Select(u => u.Id).SingleAsync();
        var consent = await db.Set<ConsentHead>().Where(c => c.ResidentId == taroId && c.DataRequestId == requestId).OrderByDescending(c => c.CreatedAt).FirstAsync();
        consent.State.ShouldBe(ConsentState.Withdrawn);
        (await db.Set<ConsentVersion>().Where(v => v.ConsentId == consent.Id && v.Version == 1).Select(v => v.Duration).SingleAsync()).ShouldBe(chosen);
    }

    /// <summary>Presses Tab until the focused element matches the selector (as a keyboard user would), failing after 80 presses.</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 80; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
            {
                return;
            }
        }

        throw new Xunit.Sdk.XunitException($"Tab never reached {selector}");
    }
}
