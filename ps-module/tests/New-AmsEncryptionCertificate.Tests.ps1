#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsEncryptionCertificate, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsEncryptionCertificate' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'accepts only 3072 or 4096 bit keys' {
        { New-AmsEncryptionCertificate -KeySize 2048 -WhatIf } | Should -Throw
    }

    It 'passes the options' {
        $cert = New-AmsEncryptionCertificate -Subject 'CN=x' -KeySize 4096 -ValidityDays 365 -Activate -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'cert new --subject CN=x --key-size 4096 --validity-days 365 --activate'
        $cert.PSTypeNames[0] | Should -BeExactly 'Ams.EncryptionCertificate'
    }

    It 'does not run ams under -WhatIf' {
        New-AmsEncryptionCertificate -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
