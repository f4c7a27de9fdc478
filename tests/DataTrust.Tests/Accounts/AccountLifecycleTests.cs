using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using static DataTrust.Tests.Infrastructure.Browser;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Accounts;

public abstract class AccountLifecycleTests(StorageProvider provider) : IDisposable
{
    private const string GoodPassword = "kawa no nagare wa taezu";
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_new_resident_signs_up_confirms_the_mailed_link_and_then_signs_in()
    {
        var client = NewClient();

        var response = await Register(client, "new.resident@example.jp", GoodPassword);

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.ShouldBe("/account/check-mail");
        (await SignIn.PostLoginAsync(client, "new.resident@example.jp", GoodPassword)).StatusCode
            .ShouldBe(HttpStatusCode.OK, "an unconfirmed account cannot sign in");

        var mail = _factory.MailTo("new.resident@example.jp").ShouldHaveSingleItem();
        mail.ShouldContain("メールアドレスの確認");
        var confirm = await client.GetAsync(Mailbox.LinkPath(mail));
        confirm.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await confirm.Content.ReadAsStringAsync()).ShouldContain("登録が完了しました");

        (await SignIn.PostLoginAsync(client, "new.resident@example.jp", GoodPassword)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using var db = _factory.NewDbContext();
        var user = await db.Users.SingleAsync(u => u.Email == "new.resident@example.jp");
        user.EmailConfirmed.ShouldBeTrue();
        user.PasswordHash!.ShouldNotContain(GoodPassword);
        var roles = await db.UserRoles.Where(r => r.UserId == user.Id).Join(db.Roles, r => r.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync();
        roles.ShouldBe([Roles.Resident]);
    }

    [Fact]
    public async Task Signing_up_with_a_taken_address_looks_the_same_and_creates_nothing()
    {
        var response = await Register(NewClient(), "hanako@example.jp", GoodPassword);

        response.Headers.Location!.OriginalString.ShouldBe("/account/check-mail");
        await using var db = _factory.NewDbContext();
        (await db.Users.CountAsync(u => u.Email == "hanako@example.jp")).ShouldBe(1);
        _factory.MailTo("hanako@example.jp").ShouldHaveSingleItem().ShouldContain("すでに登録されています");
    }

    [Theory]
    [InlineData("password1234", "推測されやすい")]
    [InlineData("aaaaaaaaaaaaaaa", "推測されやすい")]
    [InlineData("abcabcabcabcabc", "推測されやすい")]
    [InlineData("short-pw", "12文字以上")]
    public async Task Weak_passwords_are_refused_with_a_plain_reason_and_nothing_is_created(string password, string reason)
    {
        var response = await Register(NewClient(), "weak@example.jp", password);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var alert = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("[role=alert]");
        alert!.TextContent.ShouldContain(reason);
        await using var db = _factory.NewDbContext();
        (await db.Users.AnyAsync(u => u.Email == "weak@example.jp")).ShouldBeFalse();
        _factory.MailTo("weak@example.jp").ShouldBeEmpty();
    }

    [Fact]
    public async Task Mismatched_password_confirmation_is_refused()
    {
        var response = await Register(NewClient(), "mismatch@example.jp", GoodPassword, GoodPassword + "!");

        (await response.Content.ReadAsStringAsync()).ShouldContain("一致しません");
        await using var db = _factory.NewDbContext();
        (await db.Users.AnyAsync(u => u.Email == "mismatch@example.jp")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("/account/confirm")]
    [InlineData("/account/confirm?user=not-a-guid&token=abc")]
    [InlineData("/account/confirm?user=00000000-0000-0000-0000-000000000001&token=abc")]
    public async Task A_broken_confirmation_link_confirms_nothing(string path)
    {
        var client = NewClient();
        await Register(client, "pending@example.jp", GoodPassword);

        var response = await client.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("このリンクは使えません");
        await using var db = _factory.NewDbContext();
        (await db.Users.SingleAsync(u => u.Email == "pending@example.jp")).EmailConfirmed.ShouldBeFalse();
    }

    [Fact]
    public async Task A_forgotten_password_is_reset_once_through_the_mailed_link()
    {
        var elsewhere = await _factory.CreateSignedInClientAsync("taro@example.jp", "DataTrust-demo-2026");
        var client = NewClient();
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/forgot-password");
        var request = await client.PostAsync("/account/forgot-password", Form(("Email", "taro@example.jp"), ("__RequestVerificationToken", token)));
        request.Headers.Location!.OriginalString.ShouldBe("/account/check-mail");
        var link = Mailbox.LinkPath(_factory.MailTo("taro@example.jp").ShouldHaveSingleItem());

        var first = await PostReset(client, link, "a brand new passphrase here");
        var second = await PostReset(client, link, "another new passphrase here");

        (await first.Content.ReadAsStringAsync()).ShouldContain("パスワードを変更しました");
        (await elsewhere.GetAsync("/account/security")).Headers.Location!.AbsolutePath.ShouldBe("/account/login", "a reset ends other sessions");
        (await second.Content.ReadAsStringAsync()).ShouldContain("このリンクは使えません");
        (await SignIn.PostLoginAsync(NewClient(), "taro@example.jp", "DataTrust-demo-2026")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignIn.PostLoginAsync(NewClient(), "taro@example.jp", "another new passphrase here")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignIn.PostLoginAsync(NewClient(), "taro@example.jp", "a brand new passphrase here")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Asking_to_reset_an_unknown_address_looks_the_same_and_sends_nothing()
    {
        var client = NewClient();
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/forgot-password");

        var response = await client.PostAsync("/account/forgot-password", Form(("Email", "stranger@example.jp"), ("__RequestVerificationToken", token)));

        response.Headers.Location!.OriginalString.ShouldBe("/account/check-mail");
        _factory.MailTo("stranger@example.jp").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_forged_reset_link_changes_nothing()
    {
        await using (var db = _factory.NewDbContext())
        {
            var taro = await db.Users.SingleAsync(u => u.Email == "taro@example.jp");
            var response = await PostReset(NewClient(), $"/account/reset-password?user={taro.Id}&token=Zm9yZ2Vk", "a brand new passphrase here");
            (await response.Content.ReadAsStringAsync()).ShouldContain("このリンクは使えません");
        }

        (await SignIn.PostLoginAsync(NewClient(), "taro@example.jp", "DataTrust-demo-2026")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    private static async Task<HttpResponseMessage> Register(HttpClient client, string email, string password, string? confirm = null)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/register");
        return await client.PostAsync("/account/register", Form(
            ("Email", email), ("DisplayName", "テスト 住民"), ("Password", password), ("ConfirmPassword", confirm ?? password), ("__RequestVerificationToken", token)));
    }

    private static async Task<HttpResponseMessage> PostReset(HttpClient client, string link, string password)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, link);
        var query = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + link).Query);
        return await client.PostAsync("/account/reset-password", Form(
            ("user", query["user"]!), ("Token", query["token"]!), ("Password", password), ("ConfirmPassword", password), ("__RequestVerificationToken", token)));
    }

    private HttpClient NewClient() => _factory.CreateBrowser();
}

public sealed class SqliteAccountLifecycleTests() : AccountLifecycleTests(StorageProvider.Sqlite);

public sealed class PostgresAccountLifecycleTests() : AccountLifecycleTests(StorageProvider.Postgres);
