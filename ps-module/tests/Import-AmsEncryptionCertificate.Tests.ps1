#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Import-AmsEncryptionCertificate, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Import-AmsEncryptionCertificate' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the PFX password as a SecureString and is a Medium impact change' {
        Get-AmsConfirmImpact Import-AmsEncryptionCertificate | Should -BeExactly 'Medium'
        (Get-Command Import-AmsEncryptionCertificate).Parameters['Password'].ParameterType | Should -Be ([System.Security.SecureString])
        (Get-Command Import-AmsEncryptionCertificate).Parameters['Pfx'].Aliases | Should -Contain 'Path'
    }

    It 'passes the file with --pfx and the password on stdin only' {
        $file = Join-Path $TestDrive 'cert.pfx'
        $cert = Import-AmsEncryptionCertificate -Path $file -Password (New-AmsTestSecureString 'PfxCanary42') -Confirm:$false
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('cert', 'import', '--pfx', $file)
        $call.Stdin | Should -BeExactly "PfxCanary42`n"
        ($call.Argv -join "`n") | Should -Not -Match 'PfxCanary42'
        $cert.PSTypeNames[0] | Should -BeExactly 'Ams.EncryptionCertificate'
    }

    It 'passes -Activate as --activate' {
        $file = Join-Path $TestDrive 'cert.pfx'
        $null = Import-AmsEncryptionCertificate -Pfx $file -Password (New-AmsTestSecureString 'x') -Activate -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly "cert import --pfx $file --activate"
    }

    It 'does not run ams under -WhatIf' {
        Import-AmsEncryptionCertificate -Pfx (Join-Path $TestDrive 'cert.pfx') -Password (New-AmsTestSecureString 'x') -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
    It 'imports a password-less file only with -NoPassword, reading no password' {
        $file = Join-Path $TestDrive 'nopw.pfx'
        $null = Import-AmsEncryptionCertificate -Pfx $file -NoPassword -Confirm:$false
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly "cert import --pfx $file --no-password"
        $call.Stdin | Should -BeNullOrEmpty
        { Import-AmsEncryptionCertificate -Pfx $file -NoPassword -Password (New-AmsTestSecureString 'x') -Confirm:$false -ErrorAction Stop } | Should -Throw
    }
}
