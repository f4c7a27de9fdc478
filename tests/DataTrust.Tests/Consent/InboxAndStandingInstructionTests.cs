using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Subjects;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Consent;

/// <summary>Consent requests sent to a resident's inbox by pairwise subject (no redirect), and standing instructions that answer them.</summary>
public abstract class InboxAndStandingInstructionTests(StorageProvider provider) : IDisposable
{
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task<string> SubjectAsync(string clientId, string email)
    {
        var userId = await _host.AccountIdAsync(email);
        return await _host.InScopeAsync(async s =>
        {
            await using var db = _host.NewDbContext();
            var client = await db.Set<Client>().SingleAsync(c => c.ClientId == clientId);
            return await s.GetRequiredService<PairwiseSubjects>().SubjectAsync(client, userId, CancellationToken.None);
        });
    }

    [Fact]
    public async Task The_same_request_sent_to_a_resident_several_times_at_once_waits_in_the_inbox_once()
    {
        var (_, recipient, requestId) = await _host.PublishedRequestAsync("rcpt-repeat");
        var handle = await SubjectAsync("rcpt-repeat", "hanako@example.jp");

        var sent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = requestId, subject = handle })));

        var ids = new List<Guid>();
        foreach (var answer in sent)
        {
            answer.StatusCode.ShouldBe(HttpStatusCode.Accepted, await answer.Content.ReadAsStringAsync());
            ids.Add((await Oidc.Json(answer)).GetProperty("id").GetGuid());
        }

        ids.Distinct().Count().ShouldBe(1);
        await using var db = _host.NewDbContext();
        (await db.Set<ConsentHead>().CountAsync(c => c.DataRequestId == requestId)).ShouldBe(1);
        (await _host.AuditAsync(AuditAction.ConsentRequested)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_recipient_asks_a_resident_by_pairwise_subject_the_resident_answers_from_the_inbox_and_the_recipient_polls()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-inbox");
        var recipient = await _host.RecipientClientAsync("rcpt-inbox");
        var requestId = await ConsentHost.PublishAsync(recipient, admin);
        var hanako = await ConsentHost.ResidentAsync(_host);
        var handle = await SubjectAsync("rcpt-inbox", "hanako@example.jp");

        var sent = await recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = requestId, subject = handle });
        sent.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var answer = await Oidc.Json(sent);
        var id = answer.GetProperty("id").GetGuid();
        answer.GetProperty("state").GetString().ShouldBe("requested");

        // An unknown handle gets the same answer, and polling it looks the same.
        var unknown = await recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = requestId, subject = "not-anyone" });
        unknown.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var unknownAnswer = await Oidc.Json(unknown);
        Shape(unknownAnswer).ShouldBe(Shape(answer));
        var unknownId = unknownAnswer.GetProperty("id").GetGuid();
        Shape(await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{unknownId}"))).ShouldBe(Shape(await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{id}"))));
        (await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{id}"))).ToString().Replace(id.ToString(), "", StringComparison.Ordinal)
            .ShouldBe((await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{unknownId}"))).ToString().Replace(unknownId.ToString(), "", StringComparison.Ordinal));

        // Asking again while the request waits adds nothing.
        var before = await _host.LedgerStateAsync();
        (await Oidc.Json(await recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = requestId, subject = handle }))).GetProperty("id").GetGuid().ShouldBe(id);
        await ConsentHost.ShouldBeProblemAsync(await recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = Guid.NewGuid(), subject = handle }), HttpStatusCode.NotFound, "not_found");
        await ConsentHost.ShouldBeProblemAsync(await recipient.PostAsJsonAsync("/api/recipient/consent-requests", new { dataRequestId = requestId, subject = "" }), HttpStatusCode.BadRequest, "handle_invalid");
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var inbox = await Oidc.Json(await hanako.GetAsync("/api/me/consents/inbox"));
        inbox.EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).ShouldBe([id]);
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync($"/api/me/consents/{id}/grant", new { categories = new[] { "household" } }), HttpStatusCode.BadRequest, "narrowing_beyond_request");
        var granted = await hanako.PostAsJsonAsync($"/api/me/consents/{id}/grant", new { categories = new[] { "mobility" } });
        granted.StatusCode.ShouldBe(HttpStatusCode.OK);

        var polled = await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{id}"));
        polled.GetProperty("state").GetString().ShouldBe("given");
        polled.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("category").GetString()).ShouldBe(["mobility"]);
        (await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{id}/receipts"))).GetArrayLength().ShouldBe(1);
        (await _host.AuditAsync()).Where(e => e.Consent == id.ToString("D")).Select(e => (e.Action, e.ActorType))
            .ShouldBe([(AuditAction.ConsentRequested, "client"), (AuditAction.ConsentGranted, "resident")]);
        (await Oidc.Json(await hanako.GetAsync("/api/me/consents/inbox"))).GetArrayLength().ShouldBe(0);
    }

    private static string Shape(JsonElement json) => string.Join(',', json.EnumerateObject().Select(p => p.Name + ":" + (p.Name == "id" ? "id" : p.Value.ToString())));

    [Fact]
    public async Task Standing_instructions_grant_narrowed_or_refuse_automatically_and_name_the_rule()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-rules");
        var recipient = await _host.RecipientClientAsync("rcpt-rules");
        var requestId = await ConsentHost.PublishAsync(recipient, admin);
        var taro = await ConsentHost.ResidentAsync(_host, "taro@example.jp");
        var hanako = await ConsentHost.ResidentAsync(_host);

        var before = await _host.LedgerStateAsync();
        await ConsentHost.ShouldBeProblemAsync(await taro.PostAsJsonAsync("/api/me/standing-instructions",
            new { kind = "allow", purposes = new[] { "health-promotion" }, categories = new[] { "health-checkup" } }), HttpStatusCode.BadRequest, "sensitive_not_automatic");
        await ConsentHost.ShouldBeProblemAsync(await taro.PostAsJsonAsync("/api/me/standing-instructions",
            new { kind = "allow", purposes = new[] { "anything" }, categories = new[] { "mobility" } }), HttpStatusCode.BadRequest, "purpose_unknown");
        await ConsentHost.ShouldBeProblemAsync(await taro.PostAsJsonAsync("/api/me/standing-instructions",
            new { kind = "never", purposes = new[] { "mobility-improvement" }, categories = new[] { "mobility" } }), HttpStatusCode.BadRequest, "never_rule_invalid");
        await ConsentHost.ShouldBeProblemAsync(await taro.PostAsJsonAsync("/api/me/standing-instructions",
            new { kind = "allow", purposes = new[] { "mobility-improvement" }, recipientKinds = new[] { "DataProvider" }, categories = new[] { "mobility" } }), HttpStatusCode.BadRequest, "recipient_kind_invalid");
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var allow = await taro.PostAsJsonAsync("/api/me/standing-instructions",
            new { kind = "allow", purposes = new[] { "mobility-improvement" }, recipientKinds = new[] { "BusinessRecipient" }, categories = new[] { "mobility" }, maxDuration = "P3M" });
        allow.StatusCode.ShouldBe(HttpStatusCode.Created);
        var allowId = (await Oidc.Json(allow)).GetProperty("id").GetGuid();

        // Taro's rule grants, narrowed to mobility and three months.
        var taroConsent = (await Oidc.Json(await recipient.PostAsJsonAsync("/api/recipient/consent-requests",
            new { dataRequestId = requestId, subject = await SubjectAsync("rcpt-rules", "taro@example.jp") }))).GetProperty("id").GetGuid();
        var view = await Oidc.Json(await taro.GetAsync($"/api/me/consents/{taroConsent}"));
        view.GetProperty("state").GetString().ShouldBe("given");
        view.GetProperty("duration").GetString().ShouldBe("P3M");
        view.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("category").GetString()).ShouldBe(["mobility"]);
        view.GetProperty("events").EnumerateArray().Last().GetProperty("decidedBy").GetString().ShouldBe($"rule {allowId}");
        var granted = (await _host.AuditAsync(AuditAction.ConsentGranted)).Single(e => e.Consent == taroConsent.ToString("D"));
        JsonDocument.Parse(granted.Details).RootElement.GetProperty("decidedBy").GetString().ShouldBe($"rule {allowId}");
        (await Oidc.Json(await taro.GetAsync("/api/me/notifications"))).EnumerateArray().Select(n => n.GetProperty("kind").GetString()).ShouldContain("consent.auto_granted");
        (await Oidc.Json(await taro.GetAsync($"/api/me/consents/{taroConsent}/receipts"))).GetArrayLength().ShouldBe(1);

        // Hanako's never rule wins over her allow rule.
        (await hanako.PostAsJsonAsync("/api/me/standing-instructions", new { kind = "allow", purposes = new[] { "mobility-improvement" }, categories = new[] { "mobility", "resident-basic" } }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var never = await hanako.PostAsJsonAsync("/api/me/standing-instructions", new { kind = "never", categories = new[] { "resident-basic" } });
        var neverId = (await Oidc.Json(never)).GetProperty("id").GetGuid();
        var hanakoConsent = (await Oidc.Json(await recipient.PostAsJsonAsync("/api/recipient/consent-requests",
            new { dataRequestId = requestId, subject = await SubjectAsync("rcpt-rules", "hanako@example.jp") }))).GetProperty("id").GetGuid();
        (await Oidc.Json(await hanako.GetAsync($"/api/me/consents/{hanakoConsent}"))).GetProperty("state").GetString().ShouldBe("refused");
        var refused = (await _host.AuditAsync(AuditAction.ConsentRefused)).Single(e => e.Consent == hanakoConsent.ToString("D"));
        JsonDocument.Parse(refused.Details).RootElement.GetProperty("decidedBy").GetString().ShouldBe($"rule {neverId}");
        (await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{hanakoConsent}"))).GetProperty("state").GetString().ShouldBe("refused");

        // Rules are the resident's own: listed, changed, deleted, invisible to others.
        (await Oidc.Json(await hanako.GetAsync("/api/me/standing-instructions"))).GetArrayLength().ShouldBe(2);
        await ConsentHost.ShouldBeProblemAsync(await taro.DeleteAsync($"/api/me/standing-instructions/{neverId}"), HttpStatusCode.NotFound, "not_found");
        (await hanako.DeleteAsync($"/api/me/standing-instructions/{neverId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _host.AuditAsync(AuditAction.StandingInstructionChanged)).Select(e => JsonDocument.Parse(e.Details).RootElement.GetProperty("change").GetString())
            .ShouldBe(["created", "created", "created", "deleted"]);
    }
}

public sealed class SqliteInboxAndStandingInstructionTests() : InboxAndStandingInstructionTests(StorageProvider.Sqlite);

public sealed class PostgresInboxAndStandingInstructionTests() : InboxAndStandingInstructionTests(StorageProvider.Postgres);
