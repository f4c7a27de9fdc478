using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using static DataTrust.Tests.Infrastructure.Browser;

namespace DataTrust.Tests.Accounts;

/// <summary>
/// Passkeys end to end through the real pages: the browser's part of each WebAuthn ceremony is played
/// by <see cref="SoftwareAuthenticator"/>, and the server's verification is ASP.NET Core Identity's.
/// </summary>
public abstract class PasskeyTests(StorageProvider provider) : IDisposable
{
    private const string Email = "hanako@example.jp";
    private const string Origin = "http://localhost";
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_resident_registers_a_passkey_on_the_security_page_and_signs_in_with_it()
    {
        using var authenticator = new SoftwareAuthenticator();
        var resident = await _factory.CreateClientAsync(Roles.Resident);

        var added = await RegisterAsync(resident, authenticator, "仕事のノートPC");

        added.Headers.Location!.OriginalString.ShouldContain("passkey=added");
        (await PasskeyCountAsync()).ShouldBe(1);
        (await resident.GetStringAsync("/account/security")).ShouldContain("仕事のノートPC");
        (await OperationsAsync()).ShouldBe(["passkey.added"]);

        var browser = _factory.CreateBrowser();
        var signedIn = await SignInAsync(browser, authenticator.Get(await OptionsAsync(browser, "/account/login"), Origin));

        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        signedIn.Headers.Location!.OriginalString.ShouldBe("/");
        (await browser.GetStringAsync("/")).ShouldContain(Email);
        var signIn = (await EntriesAsync("account.signed_in")).Last();
        signIn.Details.ShouldBe("""{"method":"passkey"}""");
        signIn.Subject.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_registration_answered_for_another_origin_or_challenge_is_refused_and_stores_nothing()
    {
        using var authenticator = new SoftwareAuthenticator();
        var resident = await _factory.CreateClientAsync(Roles.Resident);

        var otherOrigin = await RegisterAsync(resident, authenticator, "x", origin: "https://evil.example");
        var otherChallenge = await RegisterAsync(resident, authenticator, "x", challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var garbage = await PostAsync(resident, "/account/security?handler=AddPasskey", await SecurityTokenAsync(resident), ("CredentialJson", "{not json"));

        otherOrigin.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        otherChallenge.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        garbage.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        (await PasskeyCountAsync()).ShouldBe(0);
        (await OperationsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_sign_in_answered_for_another_origin_or_challenge_is_refused()
    {
        using var authenticator = new SoftwareAuthenticator();
        await RegisterAsync(await _factory.CreateClientAsync(Roles.Resident), authenticator, "key");
        var before = (await EntriesAsync("account.signed_in")).Count;

        var browser = _factory.CreateBrowser();
        var otherOrigin = await SignInAsync(browser, authenticator.Get(await OptionsAsync(browser, "/account/login"), "https://evil.example"));
        var otherChallenge = await SignInAsync(browser, authenticator.Get(await OptionsAsync(browser, "/account/login"), Origin, challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        var otherRp = await SignInAsync(browser, authenticator.Get(await OptionsAsync(browser, "/account/login"), Origin, rpId: "evil.example"));

        foreach (var refused in new[] { otherOrigin, otherChallenge, otherRp })
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("パスキーでログインできませんでした");
        }

        (await browser.GetStringAsync("/")).ShouldNotContain(Email);
        (await EntriesAsync("account.signed_in")).Count.ShouldBe(before);
        (await EntriesAsync("account.sign_in_failed")).Select(e => e.Details).ShouldBe(Enumerable.Repeat("""{"reason":"bad_passkey"}""", 3));
    }

    [Fact]
    public async Task A_replayed_assertion_does_not_sign_in()
    {
        using var authenticator = new SoftwareAuthenticator();
        await RegisterAsync(await _factory.CreateClientAsync(Roles.Resident), authenticator, "key");
        var first = _factory.CreateBrowser();
        var assertion = authenticator.Get(await OptionsAsync(first, "/account/login"), Origin);
        (await SignInAsync(first, assertion)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var signIns = (await EntriesAsync("account.signed_in")).Count;

        var attacker = _factory.CreateBrowser();
        await OptionsAsync(attacker, "/account/login");
        var replayedWithFreshOptions = await SignInAsync(attacker, assertion);
        var replayedWithoutOptions = await SignInAsync(_factory.CreateBrowser(), assertion);

        replayedWithFreshOptions.StatusCode.ShouldBe(HttpStatusCode.OK);
        replayedWithoutOptions.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await attacker.GetStringAsync("/")).ShouldNotContain(Email);
        (await EntriesAsync("account.signed_in")).Count.ShouldBe(signIns);
    }

    [Fact]
    public async Task A_resident_removes_a_passkey_which_then_no_longer_signs_in()
    {
        using var authenticator = new SoftwareAuthenticator();
        var resident = await _factory.CreateClientAsync(Roles.Resident);
        await RegisterAsync(resident, authenticator, "key");
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync("/account/security"));
        var id = page.QuerySelector("form[action*='handler=RemovePasskey'] input[name=id]")!.GetAttribute("value")!;
        id.ShouldBe(System.Buffers.Text.Base64Url.EncodeToString(authenticator.CredentialId));

        var unknown = await PostAsync(resident, "/account/security?handler=RemovePasskey", await SecurityTokenAsync(resident), ("id", "AAAA"));
        var malformed = await PostAsync(resident, "/account/security?handler=RemovePasskey", await SecurityTokenAsync(resident), ("id", "***"));
        unknown.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        malformed.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        (await PasskeyCountAsync()).ShouldBe(1);

        var removed = await PostAsync(resident, "/account/security?handler=RemovePasskey", await SecurityTokenAsync(resident), ("id", id));

        removed.Headers.Location!.OriginalString.ShouldContain("passkey=removed");
        (await PasskeyCountAsync()).ShouldBe(0);
        (await OperationsAsync()).ShouldBe(["passkey.added", "passkey.removed"]);
        var browser = _factory.CreateBrowser();
        (await SignInAsync(browser, authenticator.Get(await OptionsAsync(browser, "/account/login"), Origin))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await browser.GetStringAsync("/")).ShouldNotContain(Email);
    }

    [Fact]
    public async Task Another_persons_passkey_cannot_be_removed()
    {
        using var authenticator = new SoftwareAuthenticator();
        await RegisterAsync(await _factory.CreateClientAsync(Roles.Resident), authenticator, "hanako's");
        var taro = await _factory.CreateSignedInClientAsync("taro@example.jp", "DataTrust-demo-2026");

        var response = await PostAsync(taro, "/account/security?handler=RemovePasskey", await SecurityTokenAsync(taro),
            ("id", System.Buffers.Text.Base64Url.EncodeToString(authenticator.CredentialId)));

        response.Headers.Location!.OriginalString.ShouldContain("passkey=failed");
        (await PasskeyCountAsync()).ShouldBe(1);
        (await OperationsAsync()).ShouldBe(["passkey.added"]);
    }

    [Fact]
    public async Task Without_JavaScript_the_login_page_offers_the_password_form_and_keeps_the_passkey_form_hidden()
    {
        var browser = _factory.CreateBrowser();
        var login = new HtmlParser().ParseDocument(await browser.GetStringAsync("/account/login"));

        login.QuerySelector("input[name=Password]").ShouldNotBeNull();
        login.QuerySelector("form[data-passkey=get]")!.HasAttribute("hidden").ShouldBeTrue();
        login.QuerySelectorAll("script").ShouldAllBe(s => s.GetAttribute("src") == "/js/passkeys.js" && s.TextContent.Length == 0);
        var script = await browser.GetAsync("/js/passkeys.js");
        script.StatusCode.ShouldBe(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
    }

    private static async Task<HttpResponseMessage> RegisterAsync(HttpClient resident, SoftwareAuthenticator authenticator, string name, string origin = Origin, string? challenge = null)
    {
        var options = await OptionsAsync(resident, "/account/security");
        options.GetProperty("rp").GetProperty("id").GetString().ShouldBe("localhost");
        var credential = authenticator.Create(options, origin, challenge);
        return await PostAsync(resident, "/account/security?handler=AddPasskey", await SecurityTokenAsync(resident), ("CredentialJson", credential), ("PasskeyName", name));
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string credential) =>
        await PostAsync(browser, "/account/login?handler=Passkey", await SignIn.AntiforgeryTokenAsync(browser, "/account/login"), ("CredentialJson", credential));

    private static async Task<JsonElement> OptionsAsync(HttpClient client, string page)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, page);
        var response = await PostAsync(client, page + "?handler=PasskeyOptions", token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static Task<string> SecurityTokenAsync(HttpClient client) => SignIn.AntiforgeryTokenAsync(client, "/account/security");

    /// <summary>A form post as a browser sends it, with its Origin header.</summary>
    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string token, params (string Key, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Form([("__RequestVerificationToken", token), .. fields]) };
        request.Headers.Add("Origin", Origin);
        return await client.SendAsync(request);
    }

    private async Task<int> PasskeyCountAsync()
    {
        await using var db = _factory.NewDbContext();
        return await db.Set<IdentityUserPasskey<Guid>>().CountAsync();
    }

    private async Task<List<AuditEntry>> EntriesAsync(string action)
    {
        await using var db = _factory.NewDbContext();
        return await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Seq).ToListAsync();
    }

    private async Task<List<string>> OperationsAsync() =>
        [.. (await EntriesAsync("account.security_changed")).Select(e => JsonDocument.Parse(e.Details).RootElement.GetProperty("operation").GetString()!)
            .Where(o => o.StartsWith("passkey.", StringComparison.Ordinal))];
}

public sealed class SqlitePasskeyTests() : PasskeyTests(StorageProvider.Sqlite);

public sealed class PostgresPasskeyTests() : PasskeyTests(StorageProvider.Postgres);
