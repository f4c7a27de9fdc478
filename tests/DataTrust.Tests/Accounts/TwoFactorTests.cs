using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Accounts.TwoFactor;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using static DataTrust.Tests.Infrastructure.Browser;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Accounts;

public abstract class TwoFactorTests(StorageProvider provider) : IDisposable
{
    private const string Email = "hanako@example.jp";
    private const string Password = "DataTrust-demo-2026";
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_resident_turns_it_on_with_the_app_code_and_then_needs_a_fresh_code_to_sign_in()
    {
        var (key, step) = await EnrolAsync();
        await using (var db = _factory.NewDbContext())
        {
            (await db.Users.SingleAsync(u => u.Email == Email)).TwoFactorEnabled.ShouldBeTrue();
        }

        var client = NewClient();
        var login = await SignIn.PostLoginAsync(client, Email, Password);
        login.Headers.Location!.OriginalString.ShouldStartWith("/account/login-2fa");
        (await client.GetStringAsync("/")).ShouldNotContain(Email, Case.Sensitive, "a password alone does not sign in");

        var wrong = await PostCode(client, "000000" == Totp.Code(key, step + 1) ? "111111" : "000000");
        (await wrong.Content.ReadAsStringAsync()).ShouldContain("コードが違います");

        var right = await PostCode(client, Totp.Code(key, step + 1));
        right.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await client.GetStringAsync("/")).ShouldContain(Email);
    }

    [Fact]
    public async Task A_code_works_only_once()
    {
        var (key, step) = await EnrolAsync();
        var first = NewClient();
        await SignIn.PostLoginAsync(first, Email, Password);
        (await PostCode(first, Totp.Code(key, step + 1))).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var second = NewClient();
        await SignIn.PostLoginAsync(second, Email, Password);
        var replay = await PostCode(second, Totp.Code(key, step + 1));

        replay.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await second.GetStringAsync("/")).ShouldNotContain(Email);
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once()
    {
        var (_, _, recoveryCodes) = await EnrolWithCodesAsync();
        recoveryCodes.Count.ShouldBe(10);

        var first = NewClient();
        await SignIn.PostLoginAsync(first, Email, Password);
        (await PostCode(first, recoveryCodes[0])).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var second = NewClient();
        await SignIn.PostLoginAsync(second, Email, Password);
        (await PostCode(second, recoveryCodes[0])).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_code_at_enrolment_leaves_it_off()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync("/account/two-factor"));
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

        var response = await client.PostAsync("/account/two-factor?handler=Enable", Form(("Code", "12345x"), ("__RequestVerificationToken", token)));

        (await response.Content.ReadAsStringAsync()).ShouldContain("コードが違います");
        await using var db = _factory.NewDbContext();
        (await db.Users.SingleAsync(u => u.Email == Email)).TwoFactorEnabled.ShouldBeFalse();
    }

    [Fact]
    public async Task The_second_step_page_cannot_be_used_without_a_password_first()
    {
        var response = await NewClient().GetAsync("/account/login-2fa");

        response.Headers.Location!.OriginalString.ShouldBe("/account/login");
    }

    private async Task<(byte[] Key, long Step)> EnrolAsync()
    {
        var (key, step, _) = await EnrolWithCodesAsync();
        return (key, step);
    }

    private async Task<(byte[] Key, long Step, IReadOnlyList<string> RecoveryCodes)> EnrolWithCodesAsync()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync("/account/two-factor"));
        page.QuerySelector("img[src^='data:image/png;base64,']").ShouldNotBeNull();
        var key = Totp.DecodeBase32(page.QuerySelector("#shared-key")!.TextContent)!;
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var step = Totp.StepAt(DateTimeOffset.UtcNow);

        var response = await client.PostAsync("/account/two-factor?handler=Enable", Form(("Code", Totp.Code(key, step)), ("__RequestVerificationToken", token)));

        var done = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var codes = done.QuerySelectorAll(".recovery-codes code").Select(c => c.TextContent).ToList();
        codes.ShouldNotBeEmpty();
        return (key, step, codes);
    }

    private static async Task<HttpResponseMessage> PostCode(HttpClient client, string code)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/login-2fa");
        return await client.PostAsync("/account/login-2fa", Form(("Code", code), ("__RequestVerificationToken", token)));
    }

    private HttpClient NewClient() => _factory.CreateBrowser();
}

public sealed class SqliteTwoFactorTests() : TwoFactorTests(StorageProvider.Sqlite);

public sealed class PostgresTwoFactorTests() : TwoFactorTests(StorageProvider.Postgres);
