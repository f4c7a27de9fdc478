namespace DataTrust.Accounts;

public static class Roles
{
    public const string Resident = "resident";
    public const string Auditor = "auditor";
    public const string Operator = "operator";

    public static IReadOnlyList<string> All { get; } = [Resident, Auditor, Operator];
}
