using DataTrust.Consent;
using DataTrust.Policies;

namespace DataTrust.Tests.Consent;

/// <summary>The release decision as a pure function: every refusal code, its precedence, and the counting.</summary>
public sealed class ReleasePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly RequestedCategory Mobility = new("mobility", ["trip_date", "transport_mode"]);

    private static ConsentSnapshot Given(
        ConsentState state = ConsentState.Given,
        RecipientStatus recipient = RecipientStatus.Approved,
        AccessMode mode = AccessMode.Periodic,
        int releaseCount = 0,
        DateTimeOffset? periodStartedAt = null,
        int releasesInPeriod = 0,
        DateTimeOffset? expiresAt = null,
        DateTimeOffset? dataFrom = null,
        DateTimeOffset? dataTo = null) =>
        new(Guid.NewGuid(), "rcpt", state, recipient, "mobility-improvement", [Mobility], expiresAt ?? Now.AddDays(30), dataFrom, dataTo, mode,
            mode == AccessMode.Periodic ? 2 : null, mode == AccessMode.Periodic ? new IsoDuration(0, 1, 0) : null, releaseCount, periodStartedAt, releasesInPeriod);

    private static ReleaseAsk Ask(string client = "rcpt", string purpose = "mobility-improvement", RequestedCategory[]? data = null, DateTimeOffset? from = null, DateTimeOffset? to = null) =>
        new(client, purpose, data ?? [new RequestedCategory("mobility", ["trip_date"])], from, to);

    private static string? Refusal(ConsentSnapshot? consent, ReleaseAsk ask, DateTimeOffset? now = null)
    {
        var decision = ReleasePolicy.Decide(consent, ask, now ?? Now);
        decision.Allowed.ShouldBe(decision.Refusal is null);
        return decision.Refusal;
    }

    [Fact]
    public void A_live_consent_covering_everything_allows() => Refusal(Given(), Ask()).ShouldBeNull();

    [Fact]
    public void No_consent_or_another_recipients_consent_is_no_consent()
    {
        Refusal(null, Ask()).ShouldBe(ReleaseRefusal.NoConsent);
        Refusal(Given(), Ask(client: "someone-else")).ShouldBe(ReleaseRefusal.NoConsent);
    }

    [Theory]
    [InlineData("Withdrawn", ReleaseRefusal.Revoked)]
    [InlineData("Paused", ReleaseRefusal.Paused)]
    [InlineData("Expired", ReleaseRefusal.Expired)]
    [InlineData("Requested", ReleaseRefusal.NoConsent)]
    [InlineData("Refused", ReleaseRefusal.NoConsent)]
    public void Only_a_given_consent_allows(string state, string refusal) => Refusal(Given(Enum.Parse<ConsentState>(state)), Ask()).ShouldBe(refusal);

    [Theory]
    [InlineData("Suspended")]
    [InlineData("Pending")]
    [InlineData("Rejected")]
    public void A_recipient_that_is_not_approved_gets_nothing_even_under_a_given_consent(string status) =>
        Refusal(Given(recipient: Enum.Parse<RecipientStatus>(status)), Ask()).ShouldBe(ReleaseRefusal.RecipientSuspended);

    [Fact]
    public void Recipient_suspension_is_checked_before_the_consent_state() =>
        Refusal(Given(ConsentState.Withdrawn, RecipientStatus.Suspended), Ask()).ShouldBe(ReleaseRefusal.RecipientSuspended);

    [Fact]
    public void A_given_consent_past_its_end_is_expired_from_that_instant()
    {
        Refusal(Given(expiresAt: Now), Ask()).ShouldBe(ReleaseRefusal.Expired);
        Refusal(Given(expiresAt: Now.AddTicks(1)), Ask()).ShouldBeNull();
    }

    [Fact]
    public void Another_purpose_is_a_purpose_mismatch() => Refusal(Given(), Ask(purpose: "local-shop-offers")).ShouldBe(ReleaseRefusal.PurposeMismatch);

    [Fact]
    public void Categories_and_fields_beyond_the_consent_are_not_covered()
    {
        Refusal(Given(), Ask(data: [new RequestedCategory("household", ["household_size"])])).ShouldBe(ReleaseRefusal.CategoryNotCovered);
        Refusal(Given(), Ask(data: [new RequestedCategory("mobility", ["trip_date", "origin_latitude"])])).ShouldBe(ReleaseRefusal.CategoryNotCovered);
        Refusal(Given(), Ask(data: [new RequestedCategory("mobility", [])])).ShouldBe(ReleaseRefusal.CategoryNotCovered);
        Refusal(Given(), Ask(data: [])).ShouldBe(ReleaseRefusal.CategoryNotCovered);
        Refusal(Given(), Ask(data: [Mobility])).ShouldBeNull();
    }

    [Fact]
    public void Data_outside_the_consented_range_is_refused()
    {
        var from = Now.AddMonths(-3);
        var to = Now.AddMonths(-1);
        var consent = Given(dataFrom: from, dataTo: to);
        Refusal(consent, Ask(from: from, to: to)).ShouldBeNull();
        Refusal(consent, Ask(from: from.AddDays(1), to: to.AddDays(-1))).ShouldBeNull();
        Refusal(consent, Ask(from: from.AddDays(-1), to: to)).ShouldBe(ReleaseRefusal.OutsideRange);
        Refusal(consent, Ask(from: from, to: to.AddDays(1))).ShouldBe(ReleaseRefusal.OutsideRange);
        Refusal(consent, Ask()).ShouldBe(ReleaseRefusal.OutsideRange, "an open-ended ask exceeds a bounded consent");
        Refusal(Given(), Ask(from: to, to: from)).ShouldBe(ReleaseRefusal.OutsideRange, "a reversed range is never inside");
    }

    [Fact]
    public void One_time_access_allows_once()
    {
        Refusal(Given(mode: AccessMode.OneTime), Ask()).ShouldBeNull();
        Refusal(Given(mode: AccessMode.OneTime, releaseCount: 1), Ask()).ShouldBe(ReleaseRefusal.OneTimeSpent);
    }

    [Fact]
    public void Periodic_access_counts_within_the_period_and_starts_again_after_it()
    {
        var started = Now.AddDays(-10);
        Refusal(Given(periodStartedAt: started, releasesInPeriod: 1), Ask()).ShouldBeNull();
        Refusal(Given(periodStartedAt: started, releasesInPeriod: 2), Ask()).ShouldBe(ReleaseRefusal.FrequencyExceeded);
        Refusal(Given(periodStartedAt: Now.AddMonths(-1), releasesInPeriod: 2), Ask()).ShouldBeNull("the month has run out");

        ReleasePolicy.CountRelease(Given(periodStartedAt: started, releasesInPeriod: 1), Now).ShouldBe((started, 2));
        ReleasePolicy.CountRelease(Given(periodStartedAt: Now.AddMonths(-2), releasesInPeriod: 2), Now).ShouldBe((Now, 1));
        ReleasePolicy.CountRelease(Given(), Now).ShouldBe((Now, 1));
    }
}
