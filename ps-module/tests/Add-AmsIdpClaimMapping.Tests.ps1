#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Add-AmsIdpClaimMapping, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Add-AmsIdpClaimMapping' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'accepts only oidc and wsfed, and the four value types' {
        { Add-AmsIdpClaimMapping -IdpType iwa -ClaimName 'x' -ClaimValueType Upn } | Should -Throw
        { Add-AmsIdpClaimMapping -IdpType oidc -ClaimName 'x' -ClaimValueType Email } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'adds a custom mapping' {
        Set-AmsStubResponse -Verb 'idp-claim-mapping add' -Response @{ stdout = @{ IdpType = 'oidc'; ClaimName = 'email'; ClaimValueType = 'Custom'; DirectoryAttributeName = 'mail' } }
        $mapping = Add-AmsIdpClaimMapping -IdpType oidc -ClaimName 'email' -ClaimValueType Custom -DirectoryAttributeName 'mail'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'idp-claim-mapping|add|--idp-type|oidc|--claim-name|email|--claim-value-type|Custom|--directory-attribute-name|mail'
        $mapping.PSTypeNames[0] | Should -BeExactly 'Ams.ClaimMapping'
        $mapping.DirectoryAttributeName | Should -BeExactly 'mail'
    }

    It 'does not run ams under -WhatIf' {
        Add-AmsIdpClaimMapping -IdpType wsfed -ClaimName 'login_name' -ClaimValueType Upn -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
