using System.Collections.Frozen;

namespace DataTrust.Policies;

/// <summary>
/// The purpose concepts of the W3C Data Privacy Vocabulary (DPV 2.0, purposes module), so that a
/// misspelt mapping in purposes.yaml stops the policy instead of publishing an IRI that means nothing.
/// </summary>
internal static class DpvPurposes
{
    public const string Namespace = "https://w3id.org/dpv#";

    private static readonly FrozenSet<string> Concepts = FrozenSet.Create(StringComparer.Ordinal,
    [
        "AcademicResearch", "AccountManagement", "Advertising", "AgeVerification", "CombatClimateChange",
        "CommercialPurpose", "CommercialResearch", "CommunicationForCustomerCare", "CommunicationManagement",
        "CounterMoneyLaundering", "Counterterrorism", "CreditChecking", "CustomerCare", "CustomerClaimsManagement",
        "CustomerManagement", "CustomerOrderManagement", "CustomerRelationshipManagement", "CustomerSolvencyMonitoring",
        "DataAltruism", "DeliveryOfGoods", "DirectMarketing", "DisputeManagement", "EnforceAccessControl",
        "EnforceSecurity", "EstablishContractualAgreement", "FraudPreventionAndDetection",
        "FulfilmentOfContractualObligation", "FulfilmentOfObligation", "HumanResourceManagement",
        "IdentityAuthentication", "IdentityVerification", "ImproveExistingProductsAndServices", "ImproveHealthcare",
        "ImproveInternalCRMProcesses", "ImprovePublicServices", "ImproveTransportMobility", "IncreaseServiceRobustness",
        "InternalResourceOptimisation", "LegalCompliance", "MaintainCreditCheckingDatabase",
        "MaintainCreditRatingDatabase", "MaintainFraudDatabase", "Marketing", "MemberPartnerManagement",
        "MisusePreventionAndDetection", "NonCommercialPurpose", "NonCommercialResearch", "OptimisationForConsumer",
        "OptimisationForController", "OptimiseUserInterface", "OrganisationComplianceManagement",
        "OrganisationGovernance", "OrganisationRiskManagement", "PaymentManagement", "Personalisation",
        "PersonalisedAdvertising", "PersonalisedBenefits", "PersonnelHiring", "PersonnelManagement",
        "PersonnelPayment", "ProtectionOfIPR", "ProtectionOfNationalSecurity", "ProtectionOfPublicSecurity",
        "ProvideEventRecommendations", "ProvideOfficialStatistics", "ProvidePersonalisedRecommendations",
        "ProvideProductRecommendations", "PublicBenefit", "PublicPolicyMaking", "PublicRelations", "Purpose",
        "RecordManagement", "RepairImpairments", "RequestedServiceProvision", "ResearchAndDevelopment",
        "RightsFulfillment", "ScientificResearch", "SearchFunctionalities", "SellDataToThirdParties",
        "SellInsightsFromData", "SellProducts", "SellProductsToDataSubject", "ServiceOptimisation",
        "ServicePersonalisation", "ServiceProvision", "ServiceRegistration", "ServiceUsageAnalytics",
        "SocialMediaMarketing", "TargetedAdvertising", "TechnicalServiceProvision", "UserInterfacePersonalisation",
        "VendorManagement", "VendorPayment", "VendorRecordsManagement", "VendorSelectionAssessment", "Verification",
    ]);

    public static bool IsPurposeIri(string iri) =>
        iri.StartsWith(Namespace, StringComparison.Ordinal) && Concepts.Contains(iri[Namespace.Length..]);
}
