namespace DataTrust.Accounts;

public static class Roles
{
    public const string Resident = "resident";
    public const string Auditor = "auditor";
    public const string Operator = "operator";

    /// <summary>Staff of a registered data recipient (see <see cref="DataTrust.Consent.BusinessStaff"/>).</summary>
    public const string Business = "business";

    public static IReadOnlyList<string> All { get; } = [Resident, Auditor, Operator, Business];
}
